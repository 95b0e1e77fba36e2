#!/bin/sh
# Test handler: a body with no headers at all.
echo "this is not a header line"
echo
echo "body"
