// The package ships no types; the tests read its output through their own `Family` shape.
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
