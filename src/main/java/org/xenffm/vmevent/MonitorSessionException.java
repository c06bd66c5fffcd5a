// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

/**
 * A monitor session ended abnormally: a handler threw, the ring turned out corrupt, or a teardown step failed. By
 * the time this is thrown the teardown has run to the end (every step is attempted regardless of earlier failures);
 * further failures are attached as suppressed exceptions.
 */
public final class MonitorSessionException extends RuntimeException {
    /**
     * A session failure.
     *
     * @param message what ended the session
     * @param cause   the first failure
     */
    public MonitorSessionException(String message, Throwable cause) { super(message, cause); }
}
