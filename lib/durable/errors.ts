import { JpayError } from '../errors';

export type DurableLogErrorCode =
  /** The file is already open in this process: two writers would corrupt it. */
  | 'in-use'
  /** The disk is full: nothing of the refused write is stored. */
  | 'no-space'
  /** Reading, writing or syncing failed. */
  | 'io'
  /** A write or sync failed in a way that leaves the file's state uncertain: reopen it. */
  | 'broken'
  /** Damaged or edited records, and the owner refuses to go on without them. */
  | 'damaged'
  /** The file is not a durable log (nor an earlier format its owner reads). */
  | 'not-a-log'
  /** Written by a newer version of this library. */
  | 'newer-format'
  | 'closed';

/** A durable log could not be opened or written. Always names the file. */
export class DurableLogError extends JpayError {
  constructor(
    readonly code: DurableLogErrorCode,
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The errno of a file-system error, if any. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Wraps a file-system failure: ENOSPC/EDQUOT become `no-space`, the rest `fallback`. */
export function fsFailure(error: unknown, file: string, doing: string, fallback: DurableLogErrorCode = 'io'): DurableLogError {
  if (error instanceof DurableLogError) return error;
  const errno = errnoOf(error);
  const code: DurableLogErrorCode = errno === 'ENOSPC' || errno === 'EDQUOT' ? 'no-space' : fallback;
  const why = code === 'no-space' ? 'the disk is full' : (error as Error | undefined)?.message ?? String(error);
  return new DurableLogError(code, file, `${doing} ${file} failed: ${why}`, { cause: error });
}
