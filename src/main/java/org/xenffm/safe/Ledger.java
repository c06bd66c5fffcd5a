// SPDX-License-Identifier: Apache-2.0
package org.xenffm.safe;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.xenffm.api.DomainId;
import org.xenffm.api.Gfn;
import org.xenffm.api.MemAccess;
import org.xenffm.api.SharingHandle;
import org.xenffm.api.ViewId;

/**
 * xenffm's own record of who shares what and what each view declares. Xen keeps the sharing rmap only for host
 * p2m slots and never for view entries (docs/xen-semantics.md §4.10 rule 5), so consistency between the two is this
 * class's job. Pure bookkeeping: no hypervisor calls; {@link SharingAwareAltp2m} updates it after each call that
 * succeeded and cross-checks it against what Xen reports ({@link SharingAwareAltp2m#audit}).
 *
 * <p>A shared frame is identified by its handle: a merge keeps the source handle and kills the client's
 * (mem_sharing.c:share_pages step 5). Frames the ledger knows may have more Xen-side slots than recorded here
 * (a fork child read-populating from its parent adds slots without any dom0 call, §3.10).
 */
public final class Ledger {
    private final Map<SharingHandle, Set<Slot>> frames = new HashMap<>();
    private final Map<Slot, SharingHandle> handleOf = new HashMap<>();
    private final Map<DomainId, Book> books = new TreeMap<>();

    /** An empty ledger. */
    public Ledger() {}

    /** Per-domain state. */
    static final class Book {
        final DomainId domain;
        DomainId forkParent;
        /** Forks were taken of this domain: their reads add Xen-side slots (and nominations) the ledger never saw. */
        boolean hadForks;
        final TreeMap<ViewId, ViewDecl> views = new TreeMap<>();
        /** Default access the domain had before xenffm armed it; null while not armed. */
        MemAccess savedDefault;
        /** The access a private, undeclared host entry should have (the domain's normal default). */
        MemAccess normalAccess = MemAccess.RWX;

        Book(DomainId d) { domain = d; }
        boolean armed() { return savedDefault != null; }
    }

    // ---- persistence: a one-shot tool (the CLI) declares, a long-running keeper adopts ----------------------

    /**
     * Writes the ledger as text, one fact per line: {@code domain <id> <parent|-> <hadForks>},
     * {@code view <dom> <view> <default> <visible>}, {@code access <dom> <view> <gfn> <access>},
     * {@code remap <dom> <view> <from> <to>}, {@code shared <dom> <gfn> <handle>} (numbers in hex where Xen prints
     * them so). The armed state is not saved: it belongs to the running keeper.
     *
     * @param out where to write
     * @throws UncheckedIOException when writing fails
     */
    public void write(Writer out) {
        try {
            out.write("# xenffm ledger v1\n");
            for (Book b : books.values()) {
                out.write("domain " + b.domain.value() + " " + (b.forkParent == null ? "-" : b.forkParent.value())
                        + " " + b.hadForks + "\n");
                for (ViewDecl v : b.views.values()) {
                    int d = b.domain.value(), id = v.view().value();
                    out.write("view " + d + " " + id + " " + v.defaultAccess().label() + " " + v.visible() + "\n");
                    for (var e : v.access().entrySet())
                        out.write("access " + d + " " + id + " " + hex(e.getKey()) + " " + e.getValue().label() + "\n");
                    for (var e : v.remaps().entrySet())
                        out.write("remap " + d + " " + id + " " + hex(e.getKey()) + " " + hex(e.getValue()) + "\n");
                }
            }
            for (var e : handleOf.entrySet())
                out.write("shared " + e.getKey().domain().value() + " " + hex(e.getKey().gfn()) + " 0x"
                        + Long.toHexString(e.getValue().value()) + "\n");
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reads what {@link #write} wrote, strictly: every record has exactly its fields, domains and views are decimal,
     * gfns and handles are {@code 0x}-hex, booleans are {@code true}/{@code false}, accesses are Xen's names. Nothing
     * is guessed.
     *
     * @param in the text
     * @return the ledger
     * @throws LedgerFormatException a malformed line, named with its number
     * @throws UncheckedIOException when reading fails
     */
    public static Ledger read(Reader in) {
        Ledger l = new Ledger();
        try (BufferedReader r = new BufferedReader(in)) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) continue;
                String[] f = t.split("\\s+");
                try {
                    switch (f[0]) {
                        case "domain" -> {
                            fields(f, 4);
                            Book b = l.book(domain(f[1]));
                            b.forkParent = f[2].equals("-") ? null : domain(f[2]);
                            b.hadForks = bool(f[3]);
                        }
                        case "view" -> {
                            fields(f, 5);
                            DomainId d = domain(f[1]);
                            ViewId v = view(f[2]);
                            l.viewCreated(d, v, access(f[3]));
                            l.view(d, v).orElseThrow().visible(bool(f[4]));
                        }
                        case "access" -> {
                            fields(f, 5);
                            declared(l, f).putAccess(gfn(f[3]), access(f[4]));
                        }
                        case "remap" -> {
                            fields(f, 5);
                            declared(l, f).putRemap(gfn(f[3]), gfn(f[4]));
                        }
                        case "shared" -> {
                            fields(f, 4);
                            l.nominated(new Slot(domain(f[1]), gfn(f[2])), SharingHandle.of(hex(f[3], "handle")));
                        }
                        default -> throw new IllegalArgumentException("unknown record '" + f[0] + "'");
                    }
                } catch (IllegalArgumentException e) {
                    throw new LedgerFormatException(n, line, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return l;
    }

    private static void fields(String[] f, int n) {
        if (f.length != n)
            throw new IllegalArgumentException("a '" + f[0] + "' record has " + n + " fields, this one " + f.length);
    }

    private static ViewDecl declared(Ledger l, String[] f) {
        DomainId d = domain(f[1]);
        ViewId v = view(f[2]);
        return l.view(d, v).orElseThrow(() -> new IllegalArgumentException(
                "view " + v.value() + " of d" + d.value() + " is not declared by an earlier 'view' line"));
    }

    private static DomainId domain(String s) {
        int v = decimal(s, "domain id", 0x7fef); // DOMID_FIRST_RESERVED - 1: public/xen.h
        return DomainId.of(v);
    }

    private static ViewId view(String s) { return ViewId.of(decimal(s, "view index", 0xffff)); }

    private static int decimal(String s, String what, int max) {
        if (!s.matches("[0-9]{1,5}") || Integer.parseInt(s) > max)
            throw new IllegalArgumentException(what + " '" + s + "' is not a decimal number from 0 to " + max);
        return Integer.parseInt(s);
    }

    private static long hex(String s, String what) {
        if (!s.matches("0x[0-9a-f]{1,16}"))
            throw new IllegalArgumentException(what + " '" + s + "' is not 0x-hex (0x followed by 1 to 16 hex digits)");
        return Long.parseUnsignedLong(s.substring(2), 16);
    }

    private static boolean bool(String s) {
        return switch (s) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("'" + s + "' is neither true nor false");
        };
    }

    private static MemAccess access(String s) {
        for (MemAccess a : MemAccess.values()) if (a.label().equals(s)) return a;
        throw new IllegalArgumentException("access '" + s + "' is not one of Xen's (rwx, rx, n, rx2rw, default, …)");
    }

    private static String hex(Gfn g) { return "0x" + Long.toHexString(g.value()); }

    private static Gfn gfn(String s) { return Gfn.of(hex(s, "gfn")); }

    // ---- domains -------------------------------------------------------------------------------------------

    Book book(DomainId d) { return books.computeIfAbsent(d, Book::new); }

    Optional<Book> findBook(DomainId d) { return Optional.ofNullable(books.get(d)); }

    /**
     * Whether the ledger has a record of the domain.
     *
     * @param d the domain
     * @return true once xenffm declared or shared anything there
     */
    public boolean manages(DomainId d) { return books.containsKey(d); }

    /** {@return the domains the ledger records (read-only)} */
    public Set<DomainId> domains() { return Collections.unmodifiableSet(books.keySet()); }

    /**
     * The parent a domain was forked from through xenffm.
     *
     * @param d the domain
     * @return its parent, empty when it is no fork xenffm made
     */
    public Optional<DomainId> forkParent(DomainId d) {
        return findBook(d).map(b -> b.forkParent);
    }

    /** Forgets a domain (destroyed): its views and its slots in every shared frame (relinquish_shared_pages). */
    void forgetDomain(DomainId d) {
        books.remove(d);
        for (Slot s : List.copyOf(handleOf.keySet())) if (s.domain().equals(d)) removeSlot(s);
    }

    // ---- sharing -------------------------------------------------------------------------------------------

    /** nominate succeeded: the slot is (now or already) in the frame with this handle. */
    void nominated(Slot s, SharingHandle h) {
        SharingHandle old = handleOf.get(s);
        if (h.equals(old)) return;
        if (old != null) removeSlot(s);
        handleOf.put(s, h);
        frames.computeIfAbsent(h, k -> new LinkedHashSet<>()).add(s);
    }

    /** share succeeded: every slot of the client frame moves to the source frame; the client handle dies. */
    Set<Slot> merged(SharingHandle source, SharingHandle client) {
        if (source.equals(client)) return Set.of();
        Set<Slot> moved = frames.remove(client);
        if (moved == null) return Set.of();
        Set<Slot> into = frames.computeIfAbsent(source, k -> new LinkedHashSet<>());
        for (Slot s : moved) {
            handleOf.put(s, source);
            into.add(s);
        }
        return Set.copyOf(moved);
    }

    /** The slot was unshared (guest write, foreign write, destroy): it leaves its frame. */
    void removeSlot(Slot s) {
        SharingHandle h = handleOf.remove(s);
        if (h == null) return;
        Set<Slot> f = frames.get(h);
        if (f != null) {
            f.remove(s);
            if (f.isEmpty()) frames.remove(h);
        }
    }

    /**
     * The handle of the frame behind a slot.
     *
     * @param s the slot
     * @return its handle, empty if not shared
     */
    public Optional<SharingHandle> handle(Slot s) { return Optional.ofNullable(handleOf.get(s)); }

    /**
     * Whether the ledger has the slot shared.
     *
     * @param s the slot
     * @return true if shared
     */
    public boolean isShared(Slot s) { return handleOf.containsKey(s); }

    /**
     * The slots the ledger knows for the frame behind {@code s}.
     *
     * @param s the slot
     * @return every slot of its frame, {@code s} included; empty if not shared
     */
    public Set<Slot> frameOf(Slot s) {
        SharingHandle h = handleOf.get(s);
        return h == null ? Set.of() : Set.copyOf(frames.get(h));
    }

    /**
     * The slots of a shared frame.
     *
     * @param h the frame's handle
     * @return its slots, empty for an unknown handle
     */
    public Set<Slot> slotsOf(SharingHandle h) {
        Set<Slot> f = frames.get(h);
        return f == null ? Set.of() : Set.copyOf(f);
    }

    /**
     * Shared gfns of a domain.
     *
     * @param d the domain
     * @return its shared gfns, in gfn order
     */
    public List<Gfn> sharedGfns(DomainId d) {
        TreeSet<Gfn> out = new TreeSet<>();
        for (Slot s : handleOf.keySet()) if (s.domain().equals(d)) out.add(s.gfn());
        return List.copyOf(out);
    }

    /** {@return the number of shared frames the ledger knows} */
    public int frameCount() { return frames.size(); }

    // ---- views ---------------------------------------------------------------------------------------------

    void viewCreated(DomainId d, ViewId v, MemAccess defaultAccess) {
        book(d).views.put(v, new ViewDecl(v, defaultAccess));
    }

    void viewDestroyed(DomainId d, ViewId v) { findBook(d).ifPresent(b -> b.views.remove(v)); }

    /** altp2m turned off: Xen flushes every view (p2m_flush_altp2m), so do we. */
    void allViewsFlushed(DomainId d) { findBook(d).ifPresent(b -> b.views.clear()); }

    Optional<ViewDecl> view(DomainId d, ViewId v) { return findBook(d).map(b -> b.views.get(v)); }

    /**
     * The views xenffm created in a domain.
     *
     * @param d the domain
     * @return the views, in index order
     */
    public List<ViewId> views(DomainId d) {
        return findBook(d).map(b -> List.copyOf(b.views.keySet())).orElse(List.of());
    }

    /**
     * A read-only snapshot of one view's declarations.
     *
     * @param d the domain
     * @param v the view
     * @return a copy of its declarations, empty for a view xenffm did not create
     */
    public Optional<ViewDecl> declaration(DomainId d, ViewId v) {
        return view(d, v).map(x -> x.copyAs(x.view()));
    }

    /**
     * Views of {@code d} that declare an access or a remap for {@code g}.
     *
     * @param d the domain
     * @param g the gfn
     * @return those views
     */
    public List<ViewDecl> viewsDeclaring(DomainId d, Gfn g) {
        List<ViewDecl> out = new ArrayList<>();
        findBook(d).ifPresent(b -> b.views.values().forEach(v -> { if (v.declares(g)) out.add(v); }));
        return out;
    }

    /**
     * Views of {@code d} in which some gfn is remapped onto {@code g}.
     *
     * @param d the domain
     * @param g the remap target
     * @return those views
     */
    public List<ViewDecl> viewsRemappingTo(DomainId d, Gfn g) {
        List<ViewDecl> out = new ArrayList<>();
        findBook(d).ifPresent(b -> b.views.values().forEach(v -> { if (v.isRemapTarget(g)) out.add(v); }));
        return out;
    }

    /**
     * Every gfn any view of {@code d} declares or remaps onto.
     *
     * @param d the domain
     * @return those gfns, in gfn order
     */
    public Set<Gfn> declaredGfns(DomainId d) {
        TreeSet<Gfn> out = new TreeSet<>();
        findBook(d).ifPresent(b -> b.views.values().forEach(v -> {
            out.addAll(v.access().keySet());
            out.addAll(v.remaps().keySet());
            out.addAll(v.remaps().values());
        }));
        return out;
    }

    /**
     * Whether {@code d} has a gfn that is both shared and declared by a view: the case that needs write events.
     *
     * @param d the domain
     * @return true if such a gfn exists
     */
    public boolean needsWriteEvents(DomainId d) {
        for (Gfn g : sharedGfns(d)) if (!viewsDeclaring(d, g).isEmpty()) return true;
        return false;
    }

    // ---- one gfn at a glance -------------------------------------------------------------------------------

    /**
     * What the ledger knows about one gfn, read at once: the domain's book (null when the domain is not managed),
     * every view of the domain, the views declaring the gfn and the views remapping some gfn onto it (all live, in
     * view order). Nominate and re-application ask all of it before they call Xen, so they ask once.
     */
    record GfnState(Slot slot, Book book, List<ViewDecl> views, List<ViewDecl> declaring,
                    List<ViewDecl> remappingTo) {
        /** Whether the domain's host default is write-less (see {@link Arming}). */
        boolean armed() { return book != null && book.armed(); }
    }

    /** {@link GfnState} of {@code d:g}; changes nothing (an unmanaged domain gets no book). */
    GfnState state(DomainId d, Gfn g) {
        Book b = books.get(d);
        if (b == null) return new GfnState(new Slot(d, g), null, List.of(), List.of(), List.of());
        List<ViewDecl> declaring = new ArrayList<>(), remappingTo = new ArrayList<>();
        for (ViewDecl v : b.views.values()) {
            if (v.declares(g)) declaring.add(v);
            if (v.isRemapTarget(g)) remappingTo.add(v);
        }
        return new GfnState(new Slot(d, g), b, List.copyOf(b.views.values()), List.copyOf(declaring),
                List.copyOf(remappingTo));
    }
}
