import { JpayError } from '../errors';

/**
 * The caller's AbortSignal fired before the command was sent: nothing reached the
 * terminal. Named `AbortError` (code `ABORT_ERR`) like the platform's own abort errors.
 */
export class JpayAbortError extends JpayError {
  readonly code = 'ABORT_ERR';
  constructor(message = 'aborted before the command was sent', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}
