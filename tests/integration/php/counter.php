<?php
// A visit counter in the session key "n" (examples/session.php).
require __DIR__ . '/session.php';
$n = session_get('n', 0) + 1;
session_set('n', $n);
header('Content-Type: text/plain');
printf("n=%d user=%s new=%s\n", $n, session_user(), $_SERVER['SESSION_NEW'] ?? '');
