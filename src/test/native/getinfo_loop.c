/* SPDX-License-Identifier: Apache-2.0 */
/* C reference for Dom0SmokeMain: the same xc_domain_getinfolist(dom0) loop, timed in the same dom0 run.
 * gcc -O2 -o getinfo_loop getinfo_loop.c -lxenctrl */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <xenctrl.h>

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 2000;
    xc_interface *xch = xc_interface_open(NULL, NULL, 0);
    if (!xch) { perror("xc_interface_open"); return 1; }
    xc_domaininfo_t info;
    for (int i = 0; i < 200; i++) xc_domain_getinfolist(xch, 0, 1, &info);
    double t0 = now_us();
    for (int i = 0; i < n; i++)
        if (xc_domain_getinfolist(xch, 0, 1, &info) != 1) { perror("getinfolist"); return 1; }
    double t1 = now_us();
    printf("H2SMOKE C getinfolist %.2f us/call (n=%d)\n", (t1 - t0) / n, n);
    xc_interface_close(xch);
    return 0;
}
