#!/bin/sh
# Test handler: reads the whole request body and answers its size and SHA-256.
PATH=/usr/bin:/bin
printf 'Content-Type: text/plain\r\n\r\n'
sha256sum | cut -d' ' -f1
