// Meridian chart checks through helm-java (Helm as a native library, no helm binary): a single-file
// Java 17 program, run by infra/scripts/helm.sh (which compiles it once) with the jars of
// infra/helm/pom.xml on the classpath; it also runs as a source file:
//
//   java -cp '.local/helm/lib/*' infra/helm/HelmCheck.java lint <chart> [values.yaml]
//   java -cp '.local/helm/lib/*' infra/helm/HelmCheck.java template <chart> <values.yaml> [out.yaml]
//   java -cp '.local/helm/lib/*' infra/helm/HelmCheck.java version
//
// template prints what `helm template` prints, hooks included: helm-java returns only the release
// manifest (Helm leaves hook resources out of it), so the chart is rendered from a copy whose
// templates spell the hook annotations under a placeholder key, restored in the output.
//
// lint prints Helm's messages and exits 1 when Helm reports the chart failed; template prints the
// rendered manifests (to out.yaml when given) and exits 1 with Helm's error when rendering fails
// (a values file the chart's values.schema.json rejects fails here too). Usage errors exit 2.
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;

public final class HelmCheck {
  /** Release name and namespace of every render, so the tests can expect fixed names. */
  private static final String RELEASE = "meridian";
  private static final String NAMESPACE = "meridian";
  /**
   * The cluster version templates render for. Without it Helm uses the version compiled into the
   * library (v1.20.0 in helm-java), older than the chart's kubeVersion; the tests validate against
   * the schemas of kubernetes-models 4.5.x, which know the APIs of this line.
   */
  private static final String KUBE_VERSION = "v1.30.0";

  public static void main(String[] args) throws Exception {
    if (args.length == 0) usage();
    int code;
    switch (args[0]) {
      case "lint" -> {
        if (args.length < 2 || args.length > 3) usage();
        code = lint(Path.of(args[1]), args.length == 3 ? Path.of(args[2]) : null);
      }
      case "template" -> {
        if (args.length < 3 || args.length > 4) usage();
        code = template(Path.of(args[1]), Path.of(args[2]), args.length == 4 ? Path.of(args[3]) : null);
      }
      case "version" -> {
        System.out.println(Helm.version().call());
        code = 0;
      }
      default -> {
        usage();
        code = 2;
      }
    }
    System.exit(code);
  }

  private static void usage() {
    System.err.println("usage: HelmCheck lint <chart> [values.yaml] | template <chart> <values.yaml> [out.yaml] | version");
    System.exit(2);
  }

  /**
   * helm-java's lint reads only the chart's own values.yaml (its LintOptions have no values files).
   * To lint with a values file, lint a copy of the chart whose values.yaml is the chart's values
   * coalesced with the file the way Helm does it (maps merge key by key, null removes a key, any
   * other value replaces) — what `helm lint -f values.yaml` would see.
   */
  private static int lint(Path chart, Path values) throws IOException {
    requireChart(chart);
    Path target = chart;
    Path tmp = null;
    try {
      if (values != null) {
        tmp = Files.createTempDirectory("meridian-helm-lint-");
        // Same directory name: Helm reports the chart by it.
        target = tmp.resolve(chart.toAbsolutePath().normalize().getFileName());
        copyTree(chart, target);
        Map<String, Object> merged = coalesce(readYaml(chart.resolve("values.yaml")), readYaml(values));
        writeYaml(target.resolve("values.yaml"), merged);
      }
      LintResult result = new Helm(target).lint().call();
      for (String message : result.getMessages()) {
        // Point at the real chart, not the temporary copy.
        System.out.println(tmp == null ? message : message.replace(target.toString(), chart.toString()));
      }
      System.out.println(result.isFailed() ? "lint: FAILED" : "lint: OK");
      return result.isFailed() ? 1 : 0;
    } finally {
      if (tmp != null) deleteTree(tmp);
    }
  }

  /** Not a hook annotation to Helm, so the resource stays in the release manifest. */
  private static final String HOOK_KEY = "helm.sh/hook";
  private static final String HOOK_PLACEHOLDER = "helm-check.meridian.invalid/hook";

  private static int template(Path chart, Path values, Path out) throws IOException {
    requireChart(chart);
    if (!Files.isRegularFile(values)) {
      System.err.println("values file not found: " + values);
      return 2;
    }
    Path tmp = Files.createTempDirectory("meridian-helm-template-");
    try {
      Path copy = tmp.resolve(chart.toAbsolutePath().normalize().getFileName());
      copyTree(chart, copy);
      // helm.sh/hook, helm.sh/hook-weight, helm.sh/hook-delete-policy: all start with HOOK_KEY.
      try (Stream<Path> files = Files.walk(copy.resolve("templates"))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) {
          String text = Files.readString(f, StandardCharsets.UTF_8);
          if (text.contains(HOOK_PLACEHOLDER)) throw new IOException(f + " already contains " + HOOK_PLACEHOLDER);
          Files.writeString(f, text.replace(HOOK_KEY, HOOK_PLACEHOLDER), StandardCharsets.UTF_8);
        }
      }
      return render(copy, values, out);
    } finally {
      deleteTree(tmp);
    }
  }

  private static int render(Path chart, Path values, Path out) throws IOException {
    String rendered;
    try {
      rendered = new Helm(chart)
          .template()
          .withName(RELEASE)
          .withNamespace(NAMESPACE)
          .withKubeVersion(KUBE_VERSION)
          .withValuesFile(values.toAbsolutePath())
          .call();
    } catch (IllegalStateException e) {
      // helm-java reports Helm's own error (template failure, schema violation) this way.
      System.err.println("template: FAILED: " + e.getMessage().replace(HOOK_PLACEHOLDER, HOOK_KEY));
      return 1;
    }
    rendered = rendered.replace(HOOK_PLACEHOLDER, HOOK_KEY);
    if (out == null) {
      System.out.print(rendered);
    } else {
      if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
      Files.writeString(out, rendered, StandardCharsets.UTF_8);
    }
    return 0;
  }

  private static void requireChart(Path chart) {
    if (!Files.isRegularFile(chart.resolve("Chart.yaml"))) {
      System.err.println("not a chart (no Chart.yaml): " + chart);
      System.exit(2);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> coalesce(Map<String, Object> base, Map<String, Object> override) {
    Map<String, Object> merged = new LinkedHashMap<>(base);
    for (Map.Entry<String, Object> e : override.entrySet()) {
      Object current = merged.get(e.getKey());
      Object next = e.getValue();
      if (next == null) {
        merged.remove(e.getKey());
      } else if (current instanceof Map && next instanceof Map) {
        merged.put(e.getKey(), coalesce((Map<String, Object>) current, (Map<String, Object>) next));
      } else {
        merged.put(e.getKey(), next);
      }
    }
    return merged;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> readYaml(Path file) throws IOException {
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
      if (doc == null) return new LinkedHashMap<>();
      if (!(doc instanceof Map)) throw new IOException(file + ": top level is not a map");
      return (Map<String, Object>) doc;
    }
  }

  private static void writeYaml(Path file, Map<String, Object> doc) throws IOException {
    DumperOptions options = new DumperOptions();
    options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
    try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      new Yaml(new SafeConstructor(new LoaderOptions()), new Representer(options), options).dump(doc, writer);
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      paths.forEach(p -> {
        Path dest = to.resolve(from.relativize(p).toString());
        try {
          if (Files.isDirectory(p)) Files.createDirectories(dest);
          else Files.copy(p, dest);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
