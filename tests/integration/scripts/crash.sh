#!/bin/sh
# Test handler: starts a session change, then dies of a signal before the
# header block is complete.
printf 'Content-Type: text/plain\r\nX-Session-Set: n=999\r\n'
kill -SEGV $$
