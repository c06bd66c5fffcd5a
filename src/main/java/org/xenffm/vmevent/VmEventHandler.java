// SPDX-License-Identifier: Apache-2.0
package org.xenffm.vmevent;

/**
 * Decides the response to one event. Runs on the {@link MonitorSession}'s own thread, one event at a time, in ring
 * order; while it runs, the vCPU that raised a synchronous event stays paused, and a full ring parks the others.
 * Returning null means {@link VmEventResponse#CONTINUE}. An exception ends the session: the event is answered
 * with CONTINUE and the session tears down as {@link MonitorSession#close()} does.
 */
@FunctionalInterface
public interface VmEventHandler {
    /**
     * Decides the response to one event.
     *
     * @param event the request: the ring's reusable event, valid only during the call ({@link VmEvent#copy()} to
     *              keep it)
     * @return the response, or null for {@link VmEventResponse#CONTINUE}
     */
    VmEventResponse handle(VmEvent event);
}
