/* Testcase: never finishes. Expected outcome: timeout, nothing left behind. */
#include <unistd.h>

int main(void) {
  for (;;) pause();
}
