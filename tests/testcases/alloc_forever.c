/* Testcase: allocates and touches memory without bound. Expected outcome:
 * over_memory. It dies the way real programs do when malloc finally fails:
 * by writing through the NULL pointer it got back. */
#include <stdlib.h>
#include <string.h>

int main(void) {
  for (;;) {
    char* p = malloc(1 << 20);
    memset(p, 1, 1 << 20); /* NULL when the cap is hit: SIGSEGV */
  }
}
