#!/bin/sh
# Test handler: a bare CR inside an X-Session-Set value, trying to smuggle a
# header through.
printf 'Content-Type: text/plain\r\n'
printf 'X-Session-Set: n=999\rX-Injected: yes\r\n'
printf '\r\nbody\n'
