// SPDX-License-Identifier: Apache-2.0
package org.xenffm.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.IGetter;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Helpers for commands whose picocli model is written as code (picocli's programmatic API) instead of annotations:
 * picocli reads annotations by reflection, which costs every start-up annotation proxies, reflective field access
 * and the JIT work for both (docs/install.md, "Start-up"). The root and the verbs a dom0 user runs most are built
 * this way; VerbsTest checks each command's help against the full model, and the package's man page shows any drift.
 */
final class Model {
    private Model() {}

    /** An option's or parameter's value, read and written through code rather than a reflected field. */
    static final class Binding<T> implements IGetter, ISetter {
        private final Supplier<T> read;
        private final Consumer<T> write;

        Binding(Supplier<T> read, Consumer<T> write) {
            this.read = read;
            this.write = write;
        }

        @SuppressWarnings("unchecked")
        @Override public <R> R get() { return (R) read.get(); }

        @SuppressWarnings("unchecked")
        @Override public <R> R set(R value) {
            R old = get();
            write.accept((T) value);
            return old;
        }
    }

    /** A command's model around {@code command}, its options listed in declaration order and help as wide as the tty. */
    static CommandSpec command(Object command, String name) {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(command).name(name);
        spec.usageMessage().sortOptions(false).autoWidth(true);
        return spec;
    }

    static <T> Binding<T> bind(Supplier<T> get, Consumer<T> set) { return new Binding<>(get, set); }

    /**
     * Adds {@code -h/--help} and {@code -V/--version} as picocli's {@code mixinStandardHelpOptions} does (last, and
     * not to a command that has one of the names already, like {@code help}), without reflecting on its annotated
     * mixin class.
     */
    static void addStandardHelpOptions(CommandSpec spec) {
        String[][] names = {{"-h", "--help"}, {"-V", "--version"}};
        for (String[] n : names) for (String name : n) if (spec.optionsMap().containsKey(name)) return;
        spec.addOption(OptionSpec.builder(names[0]).usageHelp(true).arity("0").type(boolean.class)
                .description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder(names[1]).versionHelp(true).arity("0").type(boolean.class)
                .description("Print version information and exit.").build());
    }
}
