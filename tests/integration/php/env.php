<?php
// What PHP sees of the request, as JSON.
header('Content-Type: application/json');
echo json_encode(['server' => $_SERVER, 'cookie' => $_COOKIE]), "\n";
