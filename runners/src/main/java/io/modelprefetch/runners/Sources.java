package io.modelprefetch.runners;

import io.modelprefetch.transforms.manifest.Manifest;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * What each source of a run gives, and the walk that resolves a {@link Setting} from them: its
 * flag, then {@code --download-extra-config} (or the manifest), then the environment, then the
 * {@code --config} file, then its default. A value that is given wins even when it is false or 0.
 * Every value given for a setting is read, also one a higher source overrides, so a wrong variable
 * is refused even under a flag.
 *
 * @param flags the text of each flag given, by {@link Setting#flag()}
 * @param extraConfig the {@code --download-extra-config} JSON, or {@link ExtraConfig#NONE}
 * @param manifest the {@code --manifest}, or null
 * @param env the environment
 * @param file the {@code --config} file, or {@link ClusterConfig#NONE}
 */
record Sources(
    Map<String, String> flags,
    ExtraConfig extraConfig,
    @Nullable Manifest manifest,
    Map<String, String> env,
    ClusterConfig file) {

  /** A value and what gave it: a flag, a variable, a key of a document, or null for the default. */
  record Resolved<T>(@Nullable T value, @Nullable String source) {}

  /** The command line's flags and extra config (parsed here), the environment and the file. */
  static Sources of(JobResolver.Flags flags, Map<String, String> env, ClusterConfig file) {
    return new Sources(flags.settings(), ExtraConfig.parse(flags.extraConfig()), null, env, file);
  }

  /** These sources with {@code manifest}'s values. */
  Sources withManifest(@Nullable Manifest manifest) {
    return new Sources(flags, extraConfig, manifest, env, file);
  }

  /**
   * The value of a setting with a default, never null: every source's value, and every parser's but
   * {@link Setting#ADDRESSING}'s, is not null either.
   */
  <T> T value(Setting<T> setting) {
    return Objects.requireNonNull(valueOrNull(setting), "a setting with a default has a value");
  }

  /** The value of a setting without a default, null when no source gives one. */
  <T> @Nullable T valueOrNull(Setting<T> setting) {
    return resolve(setting).value();
  }

  <T> Resolved<T> resolve(Setting<T> setting) {
    // Stream.of reads every source, in order, before one is chosen.
    @Nullable Resolved<T> fromFile = fromFile(setting);
    Resolved<T> chosen =
        Stream.of(
                fromFlag(setting),
                fromExtraConfig(setting),
                fromManifest(setting),
                fromEnvironment(setting),
                fromFile)
            .filter(Objects::nonNull)
            .findFirst()
            .orElse(new Resolved<>(setting.defaultValue(), null));
    if (setting.blankFromFile()
        && fromFile != null
        && chosen.value() instanceof String text
        && text.isBlank()) {
      return fromFile;
    }
    return chosen;
  }

  private <T> @Nullable Resolved<T> fromFlag(Setting<T> setting) {
    String text = setting.flag() == null ? null : flags.get(setting.flag());
    return text == null
        ? null
        : parse(setting, Objects.requireNonNull(setting.flag(), "its text was given"), text);
  }

  private <T> @Nullable Resolved<T> fromExtraConfig(Setting<T> setting) {
    T value = setting.extraConfig() == null ? null : setting.extraConfig().apply(extraConfig);
    return value == null
        ? null
        : new Resolved<>(value, "--download-extra-config " + setting.extraConfigKey());
  }

  private <T> @Nullable Resolved<T> fromManifest(Setting<T> setting) {
    T value =
        setting.manifest() == null || manifest == null ? null : setting.manifest().apply(manifest);
    return value == null ? null : new Resolved<>(value, "--manifest " + setting.name());
  }

  private <T> @Nullable Resolved<T> fromEnvironment(Setting<T> setting) {
    String variable =
        setting.variables().stream().filter(v -> env.get(v) != null).findFirst().orElse(null);
    String text = variable == null ? null : env.get(variable);
    return text == null || text.isBlank()
        ? null
        : parse(setting, Objects.requireNonNull(variable, "its text was set"), text);
  }

  private <T> @Nullable Resolved<T> fromFile(Setting<T> setting) {
    T value = setting.file() == null ? null : setting.file().apply(file);
    return value == null ? null : new Resolved<>(value, "--config " + setting.fileKey());
  }

  private static <T> Resolved<T> parse(Setting<T> setting, String source, String text) {
    return new Resolved<>(setting.parser().parse(source, text), source);
  }
}
