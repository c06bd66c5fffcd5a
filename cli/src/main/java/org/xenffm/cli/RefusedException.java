// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

/** The CLI refuses a call because real Xen 4.17 would panic on it (exit code 6; --force overrides). */
final class RefusedException extends RuntimeException {
    RefusedException(String message) { super(message); }
}
