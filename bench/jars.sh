# Sourced by the bench scripts: finds JDK 25 and the two jars they run, building them when missing or when
# REBUILD=1. Sets root, java, bench_jar (squint-bench) and cli_jar (the squint command).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/scripts/find-jdk.sh"
java="$JAVA_HOME/bin/java"
bench_jar="$root/squint-bench/target/squint-bench.jar"
cli_jar="$root/squint-cli/target/squint.jar"
if [ ! -f "$bench_jar" ] || [ ! -f "$cli_jar" ] || [ "${REBUILD:-0}" = 1 ]; then
  (cd "$root" && mvn -q -B -ntp package -pl squint-cli,squint-bench -am -DskipTests)
fi
