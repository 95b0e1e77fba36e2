<?php
// The same script with PHP's own sessions (files, locked per session).
session_start();
if (isset($_GET['sleep']))
	usleep(20000);
$n = ($_SESSION['n'] ?? 0) + 1;
$_SESSION['n'] = $n;
header('Content-Type: text/plain');
echo $n, "\n";
