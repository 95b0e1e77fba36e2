#!/bin/sh
# Test handler the harness places outside script_root: must never run.
printf 'Content-Type: text/plain\r\n\r\nran\n'
