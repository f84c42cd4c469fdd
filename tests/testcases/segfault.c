/* Testcase: crashes with SIGSEGV. Expected outcome: signaled. */
#include <stdio.h>

int main(void) {
  volatile int* p = (int*)0;
  fprintf(stderr, "about to crash\n");
  *p = 42;
  return 0;
}
