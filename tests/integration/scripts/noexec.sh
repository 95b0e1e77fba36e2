#!/bin/sh
# Test handler installed without the executable bit: must never run.
printf 'Content-Type: text/plain\r\n\r\nran\n'
