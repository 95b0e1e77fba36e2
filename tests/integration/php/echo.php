<?php
// The request body back (POST), or ?mb=N megabytes of a known pattern.
header('Content-Type: application/octet-stream');
if (isset($_GET['mb'])) {
	$chunk = str_repeat(hash('sha256', 'sessionwrap', false), 1024);
	for ($i = 0; $i < (int)$_GET['mb'] * 16; $i++)
		echo $chunk;
	exit;
}
$in = fopen('php://input', 'rb');
$out = fopen('php://output', 'wb');
stream_copy_to_stream($in, $out);
