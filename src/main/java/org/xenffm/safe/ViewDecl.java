// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.ViewId;

/**
 * What the caller declared for one altp2m view: its default access, visibility, per-gfn access restrictions and
 * gfn remaps. This is the truth xenffm re-applies whenever Xen silently overwrites view entries (unshare, share,
 * nominate and fork_reset all push the host entry into the views that hold the gfn, altp2m.c:
 * p2m_altp2m_propagate_change). Mutable, owned by the {@link Ledger}; callers see copies.
 */
public final class ViewDecl {
    private final ViewId view;
    private final MemAccess defaultAccess;
    private boolean visible = true;
    private final TreeMap<Gfn, MemAccess> access = new TreeMap<>();
    private final TreeMap<Gfn, Gfn> remaps = new TreeMap<>();

    ViewDecl(ViewId view, MemAccess defaultAccess) {
        this.view = view;
        this.defaultAccess = defaultAccess;
    }

    ViewDecl copyAs(ViewId newId) {
        ViewDecl c = new ViewDecl(newId, defaultAccess);
        c.visible = visible;
        c.access.putAll(access);
        c.remaps.putAll(remaps);
        return c;
    }

    /** {@return the view} */
    public ViewId view() { return view; }
    /** {@return the default access the view was created with} */
    public MemAccess defaultAccess() { return defaultAccess; }
    /** {@return whether the view is visible (switch_to_view and VMFUNC may enter it)} */
    public boolean visible() { return visible; }
    void visible(boolean v) { visible = v; }

    /** {@return the declared access restrictions, by gfn (read-only)} */
    public Map<Gfn, MemAccess> access() { return Collections.unmodifiableMap(access); }
    /** {@return the declared remaps, from gfn to the gfn whose frame it shows (read-only)} */
    public Map<Gfn, Gfn> remaps() { return Collections.unmodifiableMap(remaps); }

    /**
     * The declared access of a gfn.
     *
     * @param g the gfn
     * @return its access, if declared
     */
    public Optional<MemAccess> accessOf(Gfn g) { return Optional.ofNullable(access.get(g)); }
    /**
     * The declared remap of a gfn.
     *
     * @param g the gfn
     * @return the gfn it shows, if remapped
     */
    public Optional<Gfn> remapOf(Gfn g) { return Optional.ofNullable(remaps.get(g)); }

    /**
     * Whether the view declares anything for this gfn (an access or a remap of it).
     *
     * @param g the gfn
     * @return true for a declared access or remap
     */
    public boolean declares(Gfn g) { return access.containsKey(g) || remaps.containsKey(g); }

    /**
     * Whether some gfn of this view is remapped onto {@code target}'s frame.
     *
     * @param target the gfn
     * @return true if a remap shows it
     */
    public boolean isRemapTarget(Gfn target) { return remaps.containsValue(target); }

    void putAccess(Gfn g, MemAccess a) { access.put(g, a); }
    void removeAccess(Gfn g) { access.remove(g); }
    void putRemap(Gfn from, Gfn to) { remaps.put(from, to); }
    void removeRemap(Gfn from) { remaps.remove(from); }
}
