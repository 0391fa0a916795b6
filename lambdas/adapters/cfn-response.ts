/**
 * Sends a custom resource's answer to CloudFormation: a PUT of the JSON body to the request's ResponseURL (a
 * presigned S3 URL). The body goes as bytes, so no Content-Type is added that the URL's signature did not cover.
 */

/** The ResponseURL refused the answer or could not be reached; CloudFormation has not heard it. */
export class CustomResourceResponseError extends Error {
  override readonly name = 'CustomResourceResponseError';
}

/** PUTs `body` as JSON to `responseUrl`; throws CustomResourceResponseError unless it is accepted (2xx). */
export async function sendCustomResourceResponse(responseUrl: string, body: object): Promise<void> {
  const bytes = Buffer.from(JSON.stringify(body));
  let status: number;
  try {
    const response = await fetch(responseUrl, { method: 'PUT', body: bytes });
    status = response.status;
    await response.arrayBuffer();
  } catch (error) {
    throw new CustomResourceResponseError(
      `Could not send the answer to CloudFormation's response URL: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (status < 200 || status >= 300) {
    throw new CustomResourceResponseError(`CloudFormation's response URL answered HTTP ${status}.`);
  }
}
