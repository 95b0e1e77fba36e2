<?php
// ?k=KEY sets KEY to 1 (concurrent writers); ?dump prints the data.
require __DIR__ . '/session.php';
header('Content-Type: application/json');
if (isset($_GET['k']))
	session_set('w' . $_GET['k'], 1);
echo json_encode(session_all()), "\n";
