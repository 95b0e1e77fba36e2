#include "autoconf.h"
#include "../tests/test.h"
int main(void) { return test_done("config"); }
