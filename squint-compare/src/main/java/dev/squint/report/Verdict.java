package dev.squint.report;

/**
 * One piece of advice computed from a table's numbers: the question a user asks ("smallest model that keeps
 * 99 % quality?"), the row that answers it (or none), and the measured reason.
 *
 * @param question the question, as a heading
 * @param answer   the row name that answers it, or a short sentence when no row does
 * @param reason   the numbers behind the answer, one sentence
 */
public record Verdict(String question, String answer, String reason) {}
