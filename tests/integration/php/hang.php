<?php
// Answers far too late (handler_timeout in the test is 3 s).
sleep(8);
header('Content-Type: text/plain');
echo "late\n";
