// The CLI's exit codes: scripts branch on these, so they are part of the interface.

export const EXIT_OK = 0;
/** Declined transaction or a non-ok status from the terminal. */
export const EXIT_DECLINED = 1;
/** Bad usage or input; nothing was sent. */
export const EXIT_USAGE = 2;
/** Connection error, timeout, protocol error, or a transaction whose outcome is unknown. */
export const EXIT_UNKNOWN = 3;

export type ExitCode = typeof EXIT_OK | typeof EXIT_DECLINED | typeof EXIT_USAGE | typeof EXIT_UNKNOWN;
