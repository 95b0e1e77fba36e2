#!/bin/sh
# Test handler: invalid JSON in X-Session-Patch.
printf 'Content-Type: text/plain\r\n'
printf 'X-Session-Patch: {"n": "999", \r\n'
printf '\r\nbody\n'
