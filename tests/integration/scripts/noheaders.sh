#!/bin/sh
# Test handler: exits without ever ending the header block.
printf 'X-Session-Set: n=999\r\n'
