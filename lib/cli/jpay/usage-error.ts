/** Bad command-line usage or input: exit code 2, nothing sent to the terminal. */
export class UsageError extends Error {
  /** The command whose help to point at, when known. */
  readonly command?: string;
  constructor(message: string, command?: string) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}
