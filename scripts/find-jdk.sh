# Sourced by ./squint, ./run-tests and .ci/run: points JAVA_HOME at a JDK 25 or newer, or stops
# with one line saying how to get one. The default java on these machines is 17, so look beside it.
squint_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
squint_find_jdk() {
  local cand major
  for cand in "${SQUINT_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25-* /usr/lib/jvm/*25* /usr/lib/jvm/* \
              "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")"; do
    [ -n "$cand" ] && [ -x "$cand/bin/java" ] && [ -x "$cand/bin/javac" ] || continue
    major=$(squint_java_major "$cand")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then
      export JAVA_HOME="$cand"
      return 0
    fi
  done
  echo "squint needs JDK 25 or newer and found none: install Temurin 25 (e.g. 'apt-get install temurin-25-jdk') or set JAVA_HOME to a JDK 25." >&2
  return 1
}
squint_find_jdk || exit 1
# Maven 3.8 on JDK 25 warns about sun.misc.Unsafe in its own libraries; those warnings are not ours.
export MAVEN_OPTS="${MAVEN_OPTS:-} --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow"
command -v mvn >/dev/null 2>&1 || { echo "squint builds with Apache Maven and found none: install it (e.g. 'apt-get install maven')." >&2; exit 1; }
