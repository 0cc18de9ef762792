#include "testlib.h"
START_TEST(x){}END_TEST static Suite *suite(void){Suite*s=suite_create("m");TCase*t=tcase_create("c");tcase_add_test(t,x);suite_add_tcase(s,t);return s;} TESTLIB_MAIN(suite)
