// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

/** A vm_event ring could not be used safely: the base of the consumer's typed errors. */
public sealed class VmEventException extends RuntimeException
        permits VmEventVersionException, RingCorruptException {
    VmEventException(String message) { super(message); }
}
