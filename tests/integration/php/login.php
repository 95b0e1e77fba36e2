<?php
// ?user=NAME logs in, ?logout logs out.
require __DIR__ . '/session.php';
if (isset($_GET['logout']))
	logout();
else
	login($_GET['user'] ?? 'nobody');
header('Content-Type: text/plain');
echo "ok\n";
