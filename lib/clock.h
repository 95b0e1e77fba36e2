/* The one monotonic clock of the programs. */
#ifndef SW_CLOCK_H
#define SW_CLOCK_H

/* Milliseconds on a clock that does not jump (CLOCK_MONOTONIC). */
long long	 clock_ms(void);

#endif
