// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.Optional;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.ViewId;

/**
 * xenffm refused a call sequence: issued to Xen it would crash the host, be refused with a bare errno, or leave a
 * view and the sharing state silently inconsistent. Nothing was changed. The message says what conflicts and how to
 * get out.
 *
 * @serial exclude
 */
public abstract sealed class SafetyException extends RuntimeException
        permits CrashHazardException, NominateConflictException, RemapConflictException,
        ReleaseLimitException {
    private final Hazard hazard;
    private final DomainId domain;
    private final Gfn gfn;
    private final ViewId view;
    private final String wayOut;

    SafetyException(Hazard hazard, DomainId domain, Gfn gfn, ViewId view, String conflict, String wayOut) {
        super(conflict + " [" + hazard + ": raw Xen → " + hazard.rawXen() + "]. Way out: " + wayOut);
        this.hazard = hazard;
        this.domain = domain;
        this.gfn = gfn;
        this.view = view;
        this.wayOut = wayOut;
    }

    /** {@return the collision that was avoided} */
    public Hazard hazard() { return hazard; }
    /** {@return the domain} */
    public DomainId domain() { return domain; }
    /** {@return the gfn, or null when the refusal is about the whole domain} */
    public Gfn gfn() { return gfn; }
    /** {@return the view involved, if any} */
    public Optional<ViewId> view() { return Optional.ofNullable(view); }
    /** {@return what the caller can do instead} */
    public String wayOut() { return wayOut; }
}
