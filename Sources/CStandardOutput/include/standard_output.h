#ifndef KTAPE_STANDARD_OUTPUT_H
#define KTAPE_STANDARD_OUTPUT_H

/// Flushes stdout and says whether everything written to it got out: 0 when it did, else the errno
/// of the failed flush, or -1 when an earlier write had failed. (Swift 6 refuses to touch `stdout`.)
int ktape_stdout_failure(void);

#endif
