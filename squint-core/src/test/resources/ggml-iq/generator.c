// Generator of the ggml-iq reference vectors (see README.md). Not part of the Maven build.
// Build (from a directory holding ggml's sources, e.g. the cpp/ folder of the llama.rn npm package):
//   gcc -O2 -DNDEBUG -std=gnu11 -ffp-contract=off -I. -Iggml-cpu -c ggml-cpu/quants.c -o cq.o
//   gcc -O2 -DNDEBUG -std=gnu11 -ffp-contract=off -I. -Iggml-cpu generator.c cq.o -lm -o generator
// Run:
//   generator base <shared ggml inputs dir> <outdir>      shared inputs + odd5, tables, fingerprints
//   generator stress <outdir> <name> <rows> <seed> <zero_fraction>
// <outdir> needs subdirectories inputs, q8k and one per type.
#include "ggml-quants.c"
#include <stdarg.h>

float lm_ggml_table_f32_f16[1 << 16];
void lm_ggml_abort(const char * file, int line, const char * fmt, ...) { fprintf(stderr, "abort %s:%d %s\n", file, line, fmt); abort(); }
size_t lm_ggml_type_size(enum lm_ggml_type t) { (void)t; return 0; }
size_t lm_ggml_row_size(enum lm_ggml_type t, int64_t ne) { (void)t; (void)ne; return 0; }
const char * lm_ggml_type_name(enum lm_ggml_type t) { (void)t; return "?"; }

void lm_ggml_vec_dot_iq2_xxs_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq2_xs_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq2_s_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq3_xxs_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq3_s_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq1_s_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);
void lm_ggml_vec_dot_iq1_m_q8_K_generic(int, float*, size_t, const void*, size_t, const void*, size_t, int);

typedef void (*dot_fn)(int, float*, size_t, const void*, size_t, const void*, size_t, int);
typedef size_t (*quant_fn)(const float*, void*, int64_t, int64_t, const float*);
typedef void (*deq_fn)(const void*, float*, int64_t);

struct tinfo { const char * name; enum lm_ggml_type t; int bytes; int needs_imatrix; quant_fn q; deq_fn dq; dot_fn dot; };
static struct tinfo types[] = {
  {"IQ2_XXS", LM_GGML_TYPE_IQ2_XXS, 66, 1, quantize_iq2_xxs, (deq_fn)dequantize_row_iq2_xxs, lm_ggml_vec_dot_iq2_xxs_q8_K_generic},
  {"IQ2_XS",  LM_GGML_TYPE_IQ2_XS,  74, 1, quantize_iq2_xs,  (deq_fn)dequantize_row_iq2_xs,  lm_ggml_vec_dot_iq2_xs_q8_K_generic},
  {"IQ2_S",   LM_GGML_TYPE_IQ2_S,   82, 0, quantize_iq2_s,   (deq_fn)dequantize_row_iq2_s,   lm_ggml_vec_dot_iq2_s_q8_K_generic},
  {"IQ3_XXS", LM_GGML_TYPE_IQ3_XXS, 98, 0, quantize_iq3_xxs, (deq_fn)dequantize_row_iq3_xxs, lm_ggml_vec_dot_iq3_xxs_q8_K_generic},
  {"IQ3_S",   LM_GGML_TYPE_IQ3_S,  110, 0, quantize_iq3_s,   (deq_fn)dequantize_row_iq3_s,   lm_ggml_vec_dot_iq3_s_q8_K_generic},
  {"IQ1_S",   LM_GGML_TYPE_IQ1_S,   50, 1, quantize_iq1_s,   (deq_fn)dequantize_row_iq1_s,   lm_ggml_vec_dot_iq1_s_q8_K_generic},
  {"IQ1_M",   LM_GGML_TYPE_IQ1_M,   56, 0, quantize_iq1_m,   (deq_fn)dequantize_row_iq1_m,   lm_ggml_vec_dot_iq1_m_q8_K_generic},
};

static uint64_t fnv(uint64_t h, const void * p, size_t n) {
  const uint8_t * b = p; for (size_t i = 0; i < n; ++i) { h ^= b[i]; h *= 0x100000001b3ULL; } return h;
}
static void * readf(const char * path, size_t * n) {
  FILE * f = fopen(path, "rb"); if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END); *n = ftell(f); fseek(f, 0, SEEK_SET);
  void * p = malloc(*n); if (fread(p, 1, *n, f) != *n) exit(1); fclose(f); return p;
}
static void writef(const char * path, const void * p, size_t n) {
  FILE * f = fopen(path, "wb"); if (!f) { perror(path); exit(1); } fwrite(p, 1, n, f); fclose(f);
}
static uint64_t sm_state;
static uint64_t sm_next(void) { uint64_t z = (sm_state += 0x9E3779B97F4A7C15ULL); z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL; z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL; return z ^ (z >> 31); }
static double u01(void) { return (sm_next() >> 11) * 0x1.0p-53; }
static double normal(void) { double a = u01(); double b = u01(); return sqrt(-2*log(1-a)) * cos(2*M_PI*b); }


static const char * stress_kinds =
  "row r uses kind r mod 8: 0 normal; 1 70% zeros; 2 heavy tail normal/(|normal|+0.05); 3 floor(2 normal) (ties);"
  " 4 normal * 10^-(3..9); 5 odd sub-blocks of 32 scaled by 1e-9; 6 normal * 10^-(6..14), x1e6 on every third group of 16;"
  " 7 spikes of 50 normal every 16th value, 0.01 normal elsewhere";

static float * stress_input(int R, int N, uint64_t seed, double zero_fraction, float * w) {
  float * x = malloc(4 * (size_t)R * N);
  sm_state = seed;
  for (int r = 0; r < R; ++r) {
    for (int i = 0; i < N; ++i) {
      double v = normal();
      switch (r % 8) {
        case 1: v = u01() < 0.7 ? 0 : v; break;
        case 2: v = v / (fabs(normal()) + 0.05); break;
        case 3: v = floor(v * 2); break;
        case 4: v = v * pow(10, -3 - 6*u01()); break;
        case 5: v = (i / 32) % 2 ? v * 1e-9 : v; break;
        case 6: v = v * pow(10, -6 - 8*u01()) * ((i/16)%3 == 0 ? 1e6 : 1); break;
        case 7: v = (i % 16 == 0) ? 50 * v : 0.01 * v; break;
      }
      x[(size_t)r*N + i] = (float)v;
    }
  }
  for (int i = 0; i < N; ++i) { double z = normal(); w[i] = u01() < zero_fraction ? 0.0f : (float)exp(2.0*z); }
  return x;
}

// Quantizes/dequantizes/dots one input with every type; activations: row r pairs with Q8_K of row (r+1) mod R.
static void vectors(const char * outdir, const char * name, const float * x, const float * w, int R, int N, int with_deq) {
  char path[1024];
  int nb = N / 256;
  block_q8_K * y = calloc((size_t)nb * R, sizeof(block_q8_K));
  for (int r = 0; r < R; ++r) quantize_row_q8_K_ref(x + (size_t)((r+1)%R)*N, y + r*nb, N);
  snprintf(path, sizeof path, "%s/q8k/%s.q8k.bin", outdir, name); writef(path, y, sizeof(block_q8_K)*nb*R);
  for (int ti = 0; ti < 7; ++ti) {
    struct tinfo * T = &types[ti];
    for (int wi = 0; wi < 2; ++wi) {
      if (wi == 0 && T->needs_imatrix) continue;
      size_t qb = (size_t)T->bytes * nb * R;
      uint8_t * q = malloc(qb); memset(q, 0xAA, qb);
      T->q(x, q, R, N, wi ? w : NULL);
      float * d = malloc(4*(size_t)R*N); float * dots = malloc(4*R);
      for (int r = 0; r < R; ++r) {
        T->dq(q + (size_t)r*T->bytes*nb, d + (size_t)r*N, N);
        T->dot(N, dots + r, 0, q + (size_t)r*T->bytes*nb, 0, y + r*nb, 0, 1);
      }
      const char * sfx = wi ? ".imatrix" : "";
      snprintf(path, sizeof path, "%s/%s/%s%s.q.bin", outdir, T->name, name, sfx); writef(path, q, qb);
      if (with_deq) { snprintf(path, sizeof path, "%s/%s/%s%s.deq.f32", outdir, T->name, name, sfx); writef(path, d, 4*(size_t)R*N); }
      snprintf(path, sizeof path, "%s/%s/%s%s.dot.f32", outdir, T->name, name, sfx); writef(path, dots, 4*R);
      free(q); free(d); free(dots);
    }
  }
  free(y);
}

static void init_all(int print) {
  for (int i = 0; i < 65536; ++i) lm_ggml_table_f32_f16[i] = lm_ggml_compute_fp16_to_fp32((lm_ggml_fp16_t)i);
  enum lm_ggml_type it[4] = {LM_GGML_TYPE_IQ2_XXS, LM_GGML_TYPE_IQ2_XS, LM_GGML_TYPE_IQ1_S, LM_GGML_TYPE_IQ2_S};
  int isz[4] = {256, 512, 2048, 1024};
  for (int k = 0; k < 4; ++k) {
    lm_iq2xs_init_impl(it[k]);
    int gi = iq2_data_index(it[k]);
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv(h, iq2_data[gi].grid, 8*isz[k]);
    h = fnv(h, iq2_data[gi].map, 4*43692);
    int total = 0;
    for (int i = 0; i < 43692; ++i) if (iq2_data[gi].map[i] < 0) { int off = -iq2_data[gi].map[i]-1; int nn = iq2_data[gi].neighbours[off]; if (off + nn + 1 > total) total = off + nn + 1; }
    h = fnv(h, iq2_data[gi].neighbours, 2*total);
    if (print) printf("iq2 grid %d: neighbours %d fnv %016llx\n", isz[k], total, (unsigned long long)h);
  }
  lm_iq2xs_init_impl(LM_GGML_TYPE_IQ1_M);
  for (int k = 0; k < 2; ++k) {
    int sz = k ? 512 : 256; lm_iq3xs_init_impl(sz);
    uint64_t h = 0xcbf29ce484222325ULL;
    h = fnv(h, iq3_data[k].grid, 4*sz);
    h = fnv(h, iq3_data[k].map, 4*4096);
    int total = 0;
    for (int i = 0; i < 4096; ++i) if (iq3_data[k].map[i] < 0) { int off = -iq3_data[k].map[i]-1; int nn = iq3_data[k].neighbours[off]; if (off + nn + 1 > total) total = off + nn + 1; }
    h = fnv(h, iq3_data[k].neighbours, 2*total);
    if (print) printf("iq3 grid %d: neighbours %d fnv %016llx\n", sz, total, (unsigned long long)h);
  }
}

int main(int argc, char ** argv) {
  char path[1024];
  if (argc == 4 && !strcmp(argv[1], "base")) {
    const char * indir = argv[2]; const char * outdir = argv[3];
    init_all(1);
    snprintf(path, sizeof path, "%s/iq-grids.bin", outdir);
    FILE * g = fopen(path, "wb");
    fwrite(ksigns_iq2xs, 1, 128, g);
    fwrite(iq2xxs_grid, 8, 256, g); fwrite(iq2xs_grid, 8, 512, g); fwrite(iq2s_grid, 8, 1024, g);
    fwrite(iq3xxs_grid, 4, 256, g); fwrite(iq3s_grid, 4, 512, g); fwrite(iq1s_grid, 8, 2048, g);
    fclose(g);
    const char * names[] = {"normal","uniform","outliers","zeros","tiny","mixed","real_wq_l0","real_w1_l0"};
    for (int ni = 0; ni < 8; ++ni) {
      size_t nx, nw;
      snprintf(path, sizeof path, "%s/%s.f32", indir, names[ni]); float * x = readf(path, &nx);
      snprintf(path, sizeof path, "%s/%s.imatrix.f32", indir, names[ni]); float * w = readf(path, &nw);
      vectors(outdir, names[ni], x, w, (int)(nx / nw), (int)(nw / 4), 1);
    }
    // odd5: 3 rows x 1280 (5 blocks), normal(seed 11), importance exp(1.5 normal) seed 1011
    int R = 3, N = 1280; float * x = malloc(4*R*N), * w = malloc(4*N);
    sm_state = 11; for (int i = 0; i < R*N; ++i) x[i] = (float)normal();
    sm_state = 1011; for (int i = 0; i < N; ++i) w[i] = (float)exp(1.5*normal());
    snprintf(path, sizeof path, "%s/inputs/odd5.f32", outdir); writef(path, x, 4*R*N);
    snprintf(path, sizeof path, "%s/inputs/odd5.imatrix.f32", outdir); writef(path, w, 4*N);
    vectors(outdir, "odd5", x, w, R, N, 1);
    return 0;
  }
  if (argc == 7 && !strcmp(argv[1], "stress")) {
    const char * outdir = argv[2]; const char * name = argv[3];
    int R = atoi(argv[4]), N = 512;
    init_all(0);
    float * w = malloc(4*N);
    float * x = stress_input(R, N, strtoull(argv[5], NULL, 10), atof(argv[6]), w);
    snprintf(path, sizeof path, "%s/inputs/%s.f32", outdir, name); writef(path, x, 4*(size_t)R*N);
    snprintf(path, sizeof path, "%s/inputs/%s.imatrix.f32", outdir, name); writef(path, w, 4*N);
    vectors(outdir, name, x, w, R, N, 0);
    return 0;
  }
  fprintf(stderr, "usage: generator base <inputs> <outdir> | generator stress <outdir> <name> <rows> <seed> <zero_fraction>\n%s\n", stress_kinds);
  return 2;
}
