/** A stand-in for Slack's incoming webhook on 127.0.0.1: the demo prints what Sluice posts to Slack. */
import { createServer, type Server } from 'node:http';

export interface SlackPost {
  readonly path: string;
  readonly text: string;
  readonly buttons: readonly string[];
}

export class SlackReceiver {
  readonly posts: SlackPost[] = [];
  private readonly listeners: ((post: SlackPost) => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<SlackReceiver> {
    let receiver: SlackReceiver | undefined;
    const server = createServer((req, res) => {
      let data = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => {
        if (data.length < 64 * 1024) data += chunk;
      });
      req.on('end', () => {
        try {
          const body = JSON.parse(data) as {
            text?: string;
            blocks?: { type: string; elements?: { text?: { text?: string } }[] }[];
          };
          const buttons =
            body.blocks?.find((b) => b.type === 'actions')?.elements?.map((e) => e.text?.text ?? '') ?? [];
          receiver?.receive({ path: req.url ?? '/', text: body.text ?? '', buttons });
          res.writeHead(200).end('ok');
        } catch {
          res.writeHead(400).end('invalid_payload');
        }
      });
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const address = server.address();
    receiver = new SlackReceiver(
      server,
      `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    );
    return receiver;
  }

  private receive(post: SlackPost): void {
    this.posts.push(post);
    for (const listener of this.listeners) listener(post);
  }

  onPost(listener: (post: SlackPost) => void): void {
    this.listeners.push(listener);
  }

  close(): Promise<void> {
    return new Promise((done) => {
      this.server.closeAllConnections();
      this.server.close(() => done());
    });
  }
}
