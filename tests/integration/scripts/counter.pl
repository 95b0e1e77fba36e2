#!/usr/bin/perl
# Test handler: the same counter in Perl, parsing $SESSION without modules
# beyond core (JSON::PP).
use strict;
use warnings;
use JSON::PP;

my $s = decode_json($ENV{SESSION} || '{}');
my $n = ($s->{n} // 0);
$n = 0 unless $n =~ /^\d+$/;
$n++;
print "Content-Type: text/plain\r\n";
print "X-Session-Patch: " . encode_json({ n => "$n" }) . "\r\n";
print "\r\n";
print "n=$n user=" . ($ENV{SESSION_USER} // '') . " new=" . ($ENV{SESSION_NEW} // '') . "\n";
