// SPDX-License-Identifier: Apache-2.0
package org.xenffm.bindings;

import java.io.IOException;
import java.lang.foreign.GroupLayout;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.xenffm.bindings.ProbeGenerator.Constant;
import org.xenffm.bindings.ProbeGenerator.Type;

/**
 * Compares two generated binding packages (e.g. xen417 and xen420) and writes the markdown report
 * bindings/DIFF-&lt;old&gt;-&lt;new&gt;.md: functions (added, removed, C prototype or Java signature changed),
 * structs/unions/typedefs (added, removed, size/alignment and member offset/size changes), constants (added,
 * removed, value or width changed).
 *
 * <p>Everything comes from the loaded binding classes (the same layouts and constants LayoutProbeTest proves
 * against gcc) and, for the C prototypes, from the generated header-class source. Names bound for one version only
 * get the comment that precedes them in bindings/xen&lt;NNN&gt;.args as their note. Nothing native is touched, so
 * neither headers nor libraries are needed.
 *
 * <p>Run by bindings/regenerate.sh as a (multi-file) source program:
 * {@code java -cp <compiled bindings> VersionDiff.java <old package> <new package> <repo dir>}; VersionDiffTest fails
 * when the committed report differs from what this makes of the current bindings.
 */
public final class VersionDiff {

    private VersionDiff() {}

    /** Offset and size of one member (null on the side that lacks it). */
    public record Slot(long offset, long size) {
        @Override
        public String toString() {
            return offset + " / " + size;
        }
    }

    public record FunctionChange(String name, String oldProto, String newProto, String oldJava, String newJava,
            String note) {
        boolean javaSignatureChanged() {
            return !Objects.equals(oldJava, newJava);
        }
    }

    public record MemberChange(String path, Slot old, Slot now) {}

    public record TypeChange(String name, Type old, Type now, List<MemberChange> members, String note) {}

    public record ConstantChange(String name, Constant old, Constant now, String note) {}

    /** The whole comparison; the lists hold only differences (an absent side is null), sorted by name. */
    public record Report(String oldPkg, String newPkg, int oldFunctions, int newFunctions, int oldTypes, int newTypes,
            int oldConstants, int newConstants, List<FunctionChange> functions, List<TypeChange> types,
            List<String> unchangedTypes, List<ConstantChange> constants, int unchangedConstants) {

        public FunctionChange function(String name) {
            return functions.stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
        }

        public TypeChange type(String name) {
            return types.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
        }

        public ConstantChange constant(String name) {
            return constants.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
        }
    }

    /** A bound function: its C prototype (from the generated javadoc) and the Java method jextract made of it. */
    record Function_(String name, String proto, String java) {}

    public static Report compare(String oldPkg, String newPkg, Path repo) throws IOException, ReflectiveOperationException {
        Path bindings = repo.resolve("bindings/src/main/java/org/xenffm/bindings");
        Map<String, String> notes = new LinkedHashMap<>();
        notes.putAll(argNotes(repo.resolve("bindings/" + oldPkg + ".args")));
        notes.putAll(argNotes(repo.resolve("bindings/" + newPkg + ".args")));

        Map<String, Function_> oldFns = functions(javaPackage(oldPkg), bindings.resolve(oldPkg));
        Map<String, Function_> newFns = functions(javaPackage(newPkg), bindings.resolve(newPkg));
        List<FunctionChange> fns = new ArrayList<>();
        for (String n : union(oldFns.keySet(), newFns.keySet())) {
            Function_ o = oldFns.get(n), w = newFns.get(n);
            if (o == null || w == null || !o.proto().equals(w.proto()) || !o.java().equals(w.java())) {
                fns.add(new FunctionChange(n, o == null ? null : o.proto(), w == null ? null : w.proto(),
                        o == null ? null : o.java(), w == null ? null : w.java(), notes.get(n)));
            }
        }

        Map<String, Type> oldTypes = byName(ProbeGenerator.types(javaPackage(oldPkg), bindings.resolve(oldPkg)), Type::name);
        Map<String, Type> newTypes = byName(ProbeGenerator.types(javaPackage(newPkg), bindings.resolve(newPkg)), Type::name);
        List<TypeChange> types = new ArrayList<>();
        List<String> unchanged = new ArrayList<>();
        for (String n : union(oldTypes.keySet(), newTypes.keySet())) {
            Type o = oldTypes.get(n), w = newTypes.get(n);
            if (o == null || w == null) {
                types.add(new TypeChange(n, o, w, List.of(), notes.get(n)));
                continue;
            }
            List<MemberChange> members = memberChanges(o.layout(), w.layout());
            if (members.isEmpty() && o.layout().byteSize() == w.layout().byteSize()
                    && o.layout().byteAlignment() == w.layout().byteAlignment() && o.cType().equals(w.cType())) {
                unchanged.add(n);
            } else {
                types.add(new TypeChange(n, o, w, members, notes.get(n)));
            }
        }

        Map<String, Constant> oldConsts = byName(ProbeGenerator.constants(javaPackage(oldPkg)), Constant::name);
        Map<String, Constant> newConsts = byName(ProbeGenerator.constants(javaPackage(newPkg)), Constant::name);
        List<ConstantChange> consts = new ArrayList<>();
        int sameConsts = 0;
        for (String n : union(oldConsts.keySet(), newConsts.keySet())) {
            Constant o = oldConsts.get(n), w = newConsts.get(n);
            if (o != null && o.equals(w)) {
                sameConsts++;
            } else {
                consts.add(new ConstantChange(n, o, w, notes.get(n)));
            }
        }
        return new Report(oldPkg, newPkg, oldFns.size(), newFns.size(), oldTypes.size(), newTypes.size(),
                oldConsts.size(), newConsts.size(), fns, types, unchanged, consts, sameConsts);
    }

    /**
     * Member differences by C access path. A member added/removed together with its parent, or moved by the same
     * distance as its parent with the same size, is implied by the parent's row and left out.
     */
    static List<MemberChange> memberChanges(GroupLayout old, GroupLayout now) {
        Map<String, Slot> o = members(old), w = members(now);
        Map<String, MemberChange> all = new TreeMap<>();
        for (String p : union(o.keySet(), w.keySet())) {
            Slot a = o.get(p), b = w.get(p);
            if (!Objects.equals(a, b)) {
                all.put(p, new MemberChange(p, a, b));
            }
        }
        List<MemberChange> out = new ArrayList<>();
        for (MemberChange m : all.values()) {
            MemberChange parent = all.get(parentPath(m.path()));
            boolean implied = parent != null && (m.old() == null && parent.old() == null
                    || m.now() == null && parent.now() == null
                    || m.old() != null && m.now() != null && parent.old() != null && parent.now() != null
                            && m.old().size() == m.now().size()
                            && m.now().offset() - m.old().offset() == parent.now().offset() - parent.old().offset());
            if (!implied) {
                out.add(m);
            }
        }
        out.sort((a, b) -> Long.compare(sortOffset(a), sortOffset(b)) != 0
                ? Long.compare(sortOffset(a), sortOffset(b)) : a.path().compareTo(b.path()));
        return out;
    }

    private static long sortOffset(MemberChange m) {
        return (m.now() != null ? m.now() : m.old()).offset();
    }

    private static String parentPath(String path) {
        int dot = path.lastIndexOf('.'), bracket = path.lastIndexOf('[');
        int cut = Math.max(dot, bracket);
        return cut < 0 ? "" : path.substring(0, cut);
    }

    private static Map<String, Slot> members(GroupLayout g) {
        Map<String, Slot> m = new LinkedHashMap<>();
        ProbeGenerator.walk(g, "", 0, (path, offset, layout) -> m.put(path, new Slot(offset, layout.byteSize())));
        return m;
    }

    private static final Pattern PROTO = Pattern.compile(
            "Function descriptor for:\\s*\\n\\s*\\* \\{@snippet lang=c :\\s*\\n\\s*\\* (.*?)\\s*\\n\\s*\\* }");

    static Map<String, Function_> functions(String javaPkg, Path srcDir) throws IOException, ClassNotFoundException {
        Map<String, String> protos = new TreeMap<>();
        try (var files = Files.list(srcDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("Xen.*\\.java")).toList()) {
                Matcher m = PROTO.matcher(Files.readString(f));
                while (m.find()) {
                    String proto = m.group(1).replaceAll("\\s+", " ");
                    protos.put(proto.replaceAll("^.*?(\\w+)\\s*\\(.*$", "$1"), proto);
                }
            }
        }
        Class<?> header = Class.forName(javaPkg + "." + ProbeGenerator.HEADER_CLASS);
        Map<String, Function_> out = new TreeMap<>();
        for (String name : ProbeGenerator.functionNames(javaPkg)) {
            String java = null;
            for (Method m : header.getMethods()) {
                if (m.getName().equals(name) && Modifier.isStatic(m.getModifiers())) {
                    java = m.getReturnType().getSimpleName() + " " + name + "(" + Arrays.stream(
                            m.getParameterTypes()).map(Class::getSimpleName).collect(Collectors.joining(", ")) + ")";
                }
            }
            String proto = protos.get(name);
            if (proto == null || java == null) {
                throw new IllegalStateException("no C prototype or Java method for " + name + " in " + srcDir);
            }
            out.put(name, new Function_(name, proto, java));
        }
        return out;
    }

    /**
     * name -> the comment lines above its --include line in an argfile. A comment block (lines up to a blank line)
     * applies to every --include line that follows it; a comment after --include lines starts a new block.
     */
    static Map<String, String> argNotes(Path argfile) throws IOException {
        Map<String, String> notes = new TreeMap<>();
        if (!Files.exists(argfile)) {
            return notes;
        }
        List<String> comment = new ArrayList<>();
        boolean afterInclude = false;
        for (String line : Files.readAllLines(argfile)) {
            String t = line.strip();
            if (t.isEmpty()) {
                comment.clear();
                afterInclude = false;
            } else if (t.startsWith("#")) {
                if (afterInclude) {
                    comment.clear();
                    afterInclude = false;
                }
                comment.add(t.replaceFirst("^#\\s?", ""));
            } else if (t.startsWith("--include-")) {
                if (!comment.isEmpty()) {
                    notes.put(t.split("\\s+")[1], String.join(" ", comment));
                }
                afterInclude = true;
            }
        }
        return notes;
    }

    public static String markdown(Report r) {
        String ov = ProbeGenerator.version(r.oldPkg()), nv = ProbeGenerator.version(r.newPkg());
        StringBuilder md = new StringBuilder();
        md.append("# Xen ").append(ov).append(" → ").append(nv).append(": what differs in the bound API\n\n");
        md.append("<!-- GENERATED by src/test/java/org/xenffm/bindings/VersionDiff.java from org.xenffm.bindings.")
                .append(r.oldPkg()).append(" and org.xenffm.bindings.").append(r.newPkg())
                .append(" (bindings/regenerate.sh rewrites it; VersionDiffTest fails when it is stale). Do not edit. -->\n\n");
        md.append("Only what xenffm binds is compared (filters: `bindings/xen.args` plus `bindings/").append(r.oldPkg())
                .append(".args` / `bindings/").append(r.newPkg()).append(".args`, whose comments give the notes). ")
                .append("Sizes and offsets are bytes on x86_64, proven against gcc for both header sets by ")
                .append("`LayoutProbeTest`. Notes on behaviour that headers cannot show are in `bindings/README.md`.\n\n");
        md.append("| | ").append(ov).append(" | ").append(nv).append(" | only in ").append(ov).append(" | only in ")
                .append(nv).append(" | changed |\n|---|---:|---:|---:|---:|---:|\n");
        row(md, "functions", r.oldFunctions(), r.newFunctions(), r.functions(), f -> f.newProto() == null,
                f -> f.oldProto() == null);
        row(md, "structs/unions/typedefs", r.oldTypes(), r.newTypes(), r.types(), t -> t.now() == null,
                t -> t.old() == null);
        row(md, "constants", r.oldConstants(), r.newConstants(), r.constants(), c -> c.now() == null,
                c -> c.old() == null);

        md.append("\n## Functions\n");
        section(md, "Only in " + ov, r.functions().stream().filter(f -> f.newProto() == null).toList(),
                "| function | C prototype (" + ov + ") | note |\n|---|---|---|\n",
                f -> "| `" + f.name() + "` | `" + f.oldProto() + "` | " + note(f.note()) + " |\n");
        section(md, "Only in " + nv, r.functions().stream().filter(f -> f.oldProto() == null).toList(),
                "| function | C prototype (" + nv + ") | note |\n|---|---|---|\n",
                f -> "| `" + f.name() + "` | `" + f.newProto() + "` | " + note(f.note()) + " |\n");
        section(md, "Prototype changed", r.functions().stream().filter(f -> f.oldProto() != null && f.newProto() != null)
                        .toList(),
                "| function | " + ov + " | " + nv + " | Java method |\n|---|---|---|---|\n",
                f -> "| `" + f.name() + "` | `" + f.oldProto() + "` | `" + f.newProto() + "` | "
                        + (f.javaSignatureChanged() ? "changed: `" + f.oldJava() + "` → `" + f.newJava() + "`"
                                : "same (parameter names only)") + " |\n");

        md.append("\n## Structs, unions, typedefs\n");
        section(md, "Only in " + ov, r.types().stream().filter(t -> t.now() == null).toList(),
                "| type | size | align | note |\n|---|---:|---:|---|\n",
                t -> "| `" + t.old().cType() + "` | " + t.old().layout().byteSize() + " | "
                        + t.old().layout().byteAlignment() + " | " + note(t.note()) + " |\n");
        section(md, "Only in " + nv, r.types().stream().filter(t -> t.old() == null).toList(),
                "| type | size | align | note |\n|---|---:|---:|---|\n",
                t -> "| `" + t.now().cType() + "` | " + t.now().layout().byteSize() + " | "
                        + t.now().layout().byteAlignment() + " | " + note(t.note()) + " |\n");
        List<TypeChange> changed = r.types().stream().filter(t -> t.old() != null && t.now() != null).toList();
        md.append("\n### Layout changed (").append(changed.size()).append(")\n");
        if (changed.isEmpty()) {
            md.append("\nNone.\n");
        }
        for (TypeChange t : changed) {
            GroupLayout a = t.old().layout(), b = t.now().layout();
            md.append("\n`").append(t.now().cType()).append("`: size ").append(a.byteSize())
                    .append(a.byteSize() == b.byteSize() ? " (unchanged)" : " → " + b.byteSize())
                    .append(", align ").append(a.byteAlignment())
                    .append(a.byteAlignment() == b.byteAlignment() ? " (unchanged)" : " → " + b.byteAlignment())
                    .append(t.old().cType().equals(t.now().cType()) ? "" : ", was `" + t.old().cType() + "`")
                    .append("\n\n| member | ").append(ov).append(" offset / size | ").append(nv)
                    .append(" offset / size | |\n|---|---:|---:|---|\n");
            for (MemberChange m : t.members()) {
                String what = m.old() == null ? "added" : m.now() == null ? "removed"
                        : m.now().size() == 0 ? "now a flexible array member (size 0)"
                        : m.old().size() != m.now().size() ? (m.old().offset() == m.now().offset() ? "resized" : "moved, resized")
                        : "moved " + signed(m.now().offset() - m.old().offset());
                md.append("| `").append(m.path()).append("` | ").append(m.old() == null ? "—" : m.old()).append(" | ")
                        .append(m.now() == null ? "—" : m.now()).append(" | ").append(what).append(" |\n");
            }
        }
        md.append("\nUnchanged (").append(r.unchangedTypes().size()).append("): ")
                .append(r.unchangedTypes().stream().map(n -> "`" + n + "`").collect(Collectors.joining(", ")))
                .append(".\n");

        md.append("\n## Constants\n");
        section(md, "Only in " + ov, r.constants().stream().filter(c -> c.now() == null).toList(),
                "| constant | value | note |\n|---|---:|---|\n",
                c -> "| `" + c.name() + "` | " + value(c.old()) + " | " + note(c.note()) + " |\n");
        section(md, "Only in " + nv, r.constants().stream().filter(c -> c.old() == null).toList(),
                "| constant | value | note |\n|---|---:|---|\n",
                c -> "| `" + c.name() + "` | " + value(c.now()) + " | " + note(c.note()) + " |\n");
        section(md, "Value changed", r.constants().stream().filter(c -> c.old() != null && c.now() != null).toList(),
                "| constant | " + ov + " | " + nv + " |\n|---|---:|---:|\n",
                c -> "| `" + c.name() + "` | " + value(c.old()) + " | " + value(c.now()) + " |\n");
        md.append("\nUnchanged: ").append(r.unchangedConstants()).append(" constants.\n");
        return md.toString();
    }

    private static <T> void row(StringBuilder md, String what, int oldCount, int newCount, List<T> changes,
            java.util.function.Predicate<T> removed, java.util.function.Predicate<T> added) {
        long rem = changes.stream().filter(removed).count(), add = changes.stream().filter(added).count();
        md.append("| ").append(what).append(" | ").append(oldCount).append(" | ").append(newCount).append(" | ")
                .append(rem).append(" | ").append(add).append(" | ").append(changes.size() - rem - add).append(" |\n");
    }

    private static <T> void section(StringBuilder md, String title, List<T> items, String header,
            Function<T, String> line) {
        md.append("\n### ").append(title).append(" (").append(items.size()).append(")\n\n");
        if (items.isEmpty()) {
            md.append("None.\n");
            return;
        }
        md.append(header);
        items.forEach(i -> md.append(line.apply(i)));
    }

    private static String value(Constant c) {
        String width = switch (c.width()) {
            case 1 -> "u8 ";
            case 2 -> "u16 ";
            case 8 -> "u64 ";
            default -> "";
        };
        return width + (c.bits() >= 0 && c.bits() < 16 ? Long.toString(c.bits())
                : Long.toUnsignedString(c.bits()) + " (0x" + Long.toHexString(c.bits()) + ")");
    }

    private static String signed(long d) {
        return d >= 0 ? "+" + d : Long.toString(d);
    }

    private static String note(String n) {
        return n == null ? "" : n.replace("|", "\\|");
    }

    private static TreeSet<String> union(java.util.Collection<String> a, java.util.Collection<String> b) {
        TreeSet<String> s = new TreeSet<>(a);
        s.addAll(b);
        return s;
    }

    private static <T> Map<String, T> byName(List<T> items, Function<T, String> name) {
        Map<String, T> m = new TreeMap<>();
        items.forEach(i -> m.put(name.apply(i), i));
        return m;
    }

    private static String javaPackage(String pkg) {
        return "org.xenffm.bindings." + pkg;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: VersionDiff <old package, e.g. xen417> <new package, e.g. xen420> <repo dir>");
            System.exit(2);
        }
        System.out.print(markdown(compare(args[0], args[1], Path.of(args[2]))));
    }
}
