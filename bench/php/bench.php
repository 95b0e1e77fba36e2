#!/usr/bin/php-cgi
<?php
// The trivial script of bench/php.sh: n read from the session, n + 1 stored.
require __DIR__ . '/session.php';
if (isset($_GET['sleep']))
	usleep(20000);
$n = (int)session_get('n', 0) + 1;
session_set('n', $n);
header('Content-Type: text/plain');
echo $n, "\n";
