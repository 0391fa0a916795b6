import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ApprovalNotification, Notifier } from '../../lambdas/core/ports';

/** Email, locally: each message lands in an outbox folder as a readable text file. */
export class OutboxNotifier implements Notifier {
  readonly sent: { readonly notification: ApprovalNotification; readonly file: string }[] = [];
  private readonly listeners: ((n: ApprovalNotification, file: string) => void)[] = [];

  constructor(private readonly outboxDir: string) {}

  onNotify(listener: (n: ApprovalNotification, file: string) => void): void {
    this.listeners.push(listener);
  }

  async notify(n: ApprovalNotification): Promise<void> {
    await mkdir(this.outboxDir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(
      this.outboxDir,
      `${stamp}-${n.release.service}-${n.approver.replace(/[^a-z0-9]+/gi, '_')}.${n.channel}.txt`,
    );
    const text = [
      `To: ${n.approver}`,
      `Subject: Approve ${n.release.service} ${n.release.releaseId}?`,
      `Channel: ${n.channel}`,
      '',
      `${n.release.service} is ready for production and waits for your decision.`,
      '',
      ...n.details.map((line) => `  ${line}`),
      '',
      `Open to review and decide: ${n.link}`,
      `The link is yours alone, works once, and expires ${n.expiresAt}.`,
      '',
    ].join('\n');
    await writeFile(file, text, { mode: 0o600 });
    this.sent.push({ notification: n, file });
    for (const listener of this.listeners) listener(n, file);
  }
}
