/**
 * An error a person caused and can fix (a wrong option, a policy that names nothing): the CLI
 * prints its message alone, without a stack trace, and exits with its code.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}
