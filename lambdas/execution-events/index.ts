export { handler, makeHandler } from './handler';
