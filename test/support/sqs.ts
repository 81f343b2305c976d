/** An SQS record as Lambda hands it to the queue door, with `messageId` and `body` the parts that matter. */
export function sqsRecord(messageId: string, body: string) {
  return {
    messageId,
    receiptHandle: 'rh',
    body,
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
    awsRegion: 'us-east-1',
  };
}
