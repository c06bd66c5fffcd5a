// SPDX-License-Identifier: Apache-2.0
package org.xenffm.api;

/**
 * What one {@code xc_readconsolering} call returned: the characters read from Xen's console ring (oldest first, lines
 * as Xen printed them, e.g. {@code "(XEN) vm_event interface version mismatch\n"}) and the ring index after them,
 * which an incremental read passes back to continue where this one stopped.
 *
 * @param text  the characters read (possibly empty: nothing new)
 * @param index the ring's free-running 32-bit read index after the characters read (XEN_SYSCTL_readconsole's index)
 */
public record ConsoleChunk(String text, int index) {}
