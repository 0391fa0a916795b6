#!/usr/bin/env node
/** The CDK app (cdk.json runs `npx tsx bin/app.ts`): the pipeline stack and one stack per catalog service. */
import { main } from '../lib/app';

if (!main()) process.exit(1);
