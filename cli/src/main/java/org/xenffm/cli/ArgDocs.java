// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

/** Descriptions of the recurring positional arguments, shared by every verb's --help. */
final class ArgDocs {
    private ArgDocs() {}

    static final String DOMAIN = "domain id (N or dN)";
    static final String SOURCE = "domain whose frame is kept";
    static final String CLIENT = "domain whose page is merged into the source's and freed";
    static final String GFN = "guest frame number (decimal or 0x-hex)";
    static final String GFNS = "gfn or range: FIRST, FIRST-LAST, FIRST..LAST or FIRST+COUNT";
    static final String VIEW = "altp2m view index";
    static final String VCPU = "vCPU index";
    static final String ACCESS = "n r w rw x rx wx rwx rx2rw n2rwx r_pw default";
    static final String TOGGLE = "on or off";
    static final String PARENT = "the domain to fork (keeps running paused by Xen while forks exist)";
    static final String CHILD = "the fork";
}
